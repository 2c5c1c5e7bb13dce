"""The smarketing scoreboard: a Dash app over one CRM database and one SLA agreement file."""

__version__ = "1.0.0"
