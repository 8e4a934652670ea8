"""The VP project's sign-in overrides for xlwings Server (found as the top-level package `auth`)."""
