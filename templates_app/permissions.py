"""Who may do what with guided templates: the support team reads and simulates them, managers change them.

The rules are escalations.roles'; here they are worded for templates, for the views and the governance services.
"""

from escalations import roles


def require_reader(user) -> None:
    roles.require_reader(user, "Guided templates")


def require_manager(user, action: str) -> None:
    """`action` is what is done to templates: "create", "approve or reject" …"""
    roles.require_manager(user, f"{action} templates")
