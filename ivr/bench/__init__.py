"""`ivr bench`: benchmarks of the call path's components, each a command that prints a table.

They live above the layers they measure: the ASR benchmark streams audio through the
recognizer exactly as a call does, with the telephone band simulated by the media layer's
G.711 codec. Speed and memory are measured here, never asserted in unit tests.
"""
