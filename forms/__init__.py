"""WTForms for the portal and the back office: field formats only; choices are filled by views."""
