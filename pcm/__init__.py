"""The PCM core every layer shares: int16 samples, float conversion, resampling, audio files.

It sits below `asr`, `dialog` and `ivr` and imports none of them, so the recognizer can
resample and convert audio without pulling in the server. Telephony codecs (G.711, L16 wire
packing) and framing belong to the media layer (`ivr.media.codecs`, `ivr.media.framing`).
"""
