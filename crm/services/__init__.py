"""Business rules. Service functions own the transaction: they commit or roll back."""
