"""The public site and the login pages."""
