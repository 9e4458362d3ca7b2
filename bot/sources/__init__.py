"""Reading inputs: one HTTP GET (:mod:`bot.sources.http`), a URL/file/stdin argument
(:mod:`bot.sources.inputs`) and feeds (:mod:`bot.sources.feeds`).

Kept import-light on purpose: import the submodule you need.
"""
