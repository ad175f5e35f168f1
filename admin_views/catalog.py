"""Products."""
from admin_views.base import BackOfficeModelView
from crm.models.choices import ProductCategory
from forms.validators import CleanText, NonNegative


class ProductView(BackOfficeModelView):
    record_kind = "product"
    column_list = ("model_number", "name", "series", "category", "material", "warranty_months", "active")
    column_searchable_list = ("model_number", "name", "series")
    column_filters = ("category", "series", "active")
    column_choices = {"category": ProductCategory.choices()}
    form_columns = ("model_number", "name", "series", "category", "material", "warranty_months",
                    "maintenance_interval_months", "active")
    form_choices = column_choices
    form_args = {
        "model_number": {"validators": [CleanText()]},
        "name": {"validators": [CleanText()]},
        "warranty_months": {"validators": [NonNegative()]},
        "maintenance_interval_months": {"validators": [NonNegative()]},
    }
