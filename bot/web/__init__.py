"""The editor's desk in a browser: a Starlette app served by uvicorn (see ``bot.web.app``)."""
