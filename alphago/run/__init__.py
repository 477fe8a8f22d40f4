"""The run loop: self-play and training alternating (or side by side) until a budget is reached.

schedule.py holds the schedule once, against a learner handle and a pool of worker handles; local.py
gives in-process handles (one process, no Ray: tests and experiments), remote.py gives Ray actors
(`alphago train`: run/train.py, run/commands.py). Above train/ and selfplay/, below experiments and bench.
"""
