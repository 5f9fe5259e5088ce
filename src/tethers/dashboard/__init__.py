"""The local dashboard (``tethers serve``): :mod:`.app` is a WSGI application over the atlas, read-only."""
