"""Who may read the reports and who reviews escalations: the rules of escalations.roles, worded for reports."""

from escalations import roles


def require_reader(user) -> None:
    """The support team reads reports; what each reader sees is scoped by the report filter."""
    roles.require_reader(user, "Reports")


def require_reviewer(user) -> None:
    roles.require_manager(user, "review escalations")
