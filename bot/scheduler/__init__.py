"""The daemon side of the bot: the scheduler, its job functions, health endpoints, metrics.

Import-light on purpose: import the submodules you need, e.g.
``from bot.scheduler.daemon import Daemon``. The pure posting rules (windows, caps, backoff)
live below the stateful modules, in :mod:`bot.policy`.
"""
