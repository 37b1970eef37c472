"""Celery edge: each task turns one message into one service call."""
