"""Routes the VP server adds to xlwings Server's (found by it as the top-level `routers.custom`)."""
