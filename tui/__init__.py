"""hogtui: a keyboard-driven terminal app for PostHog insights."""

__version__ = "0.1.0"
