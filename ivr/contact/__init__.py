"""The contact centre: queues per department, agents, offers, and what a waiting caller hears.

The decisions are pure state machines (events in, actions out, time passed in) so that every
rule is table-tested with a fake clock; the web layer and the call session carry them out.
"""
