"""Fields that store one canonical form and show the one people write."""
from wtforms import StringField

from crm.phones import display_phone


class PhoneField(StringField):
    """Shows a stored +8613812345678 as 13812345678; after a failed check, shows what was typed."""

    def _value(self) -> str:
        if self.raw_data and self.errors:
            return self.raw_data[0]
        if isinstance(self.data, str) and self.data.startswith("+"):
            return display_phone(self.data)
        return self.data or ""
