"""The error a service raises when a request breaks a business rule."""


class ServiceError(Exception):
    """A rule was broken; `message` is translated and fit to show to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
