"""The daemon side of the bot: posting policy, the scheduler, health endpoints, metrics.

Import-light on purpose (the pipeline uses :mod:`bot.scheduler.policy`): import the
submodules you need, e.g. ``from bot.scheduler.daemon import Daemon``.
"""
