from escalations import roles
from escalations.selectors.notifications import unread_count


def navigation(request) -> dict:
    """Which top-level sections the signed-in person sees in the navigation bar."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav": {
            "is_manager": roles.is_manager(user),
            "is_admin": roles.is_admin(user),
            "unread_notifications": unread_count(user),
        }
    }
