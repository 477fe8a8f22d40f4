"""`alphago serve`: protocol.py (the messages), session.py (one game), analysis.py (search reports), server.py (Starlette), static/ (the page)."""
