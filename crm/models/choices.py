"""Enumerations stored as stable English codes and shown as translated labels."""
from enum import Enum

from flask_babel import lazy_gettext as _l


class CodedEnum(str, Enum):
    """A member is its code (what the database stores) and carries a translated label."""

    def __new__(cls, code: str, label):
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def codes(cls) -> list[str]:
        return [member.value for member in cls]

    @classmethod
    def label_for(cls, code: str | None) -> str:
        if code is None or code == "":
            return ""
        try:
            return str(cls(code).label)
        except ValueError:
            return code


class Role(CodedEnum):
    ADMIN = "admin", _l("Administrator")
    CLERK = "clerk", _l("Clerk")
    DEALER = "dealer", _l("Dealer")


class DealerLevel(CodedEnum):
    FLAGSHIP = "flagship", _l("Flagship store")
    STANDARD = "standard", _l("Standard store")
    OUTLET = "outlet", _l("Outlet")


class ProductCategory(CodedEnum):
    SOFA = "sofa", _l("Sofa")
    BED = "bed", _l("Bed")
    MATTRESS = "mattress", _l("Mattress")
    WARDROBE = "wardrobe", _l("Wardrobe")
    DINING_TABLE = "dining_table", _l("Dining table")
    CABINET = "cabinet", _l("Cabinet")
    CHAIR = "chair", _l("Chair")
    OTHER = "other", _l("Other")


class Gender(CodedEnum):
    FEMALE = "female", _l("Female")
    MALE = "male", _l("Male")
    UNSPECIFIED = "unspecified", _l("Not stated")


class HousingType(CodedEnum):
    APARTMENT = "apartment", _l("Apartment")
    VILLA = "villa", _l("Villa")
    TOWNHOUSE = "townhouse", _l("Townhouse")
    OTHER = "other", _l("Other")


class HouseholdStage(CodedEnum):
    SINGLE = "single", _l("Single")
    COUPLE = "couple", _l("Couple")
    YOUNG_FAMILY = "young_family", _l("Family with young children")
    THREE_GENERATIONS = "three_generations", _l("Three generations")
    RETIRED_COUPLE = "retired_couple", _l("Retired couple")


class AcquisitionChannel(CodedEnum):
    COMMUNITY = "community", _l("Community promotion")
    DESIGNER = "designer", _l("Interior designer")
    CONTRACTOR = "contractor", _l("Contractor")
    DECORATION_COMPANY = "decoration_company", _l("Decoration company")
    STORE_PROMOTION = "store_promotion", _l("Store promotion")
    BRAND_ALLIANCE = "brand_alliance", _l("Brand alliance")
    REFERRAL = "referral", _l("Customer referral")
    WEB = "web", _l("Web")
    HOTLINE = "hotline", _l("Hotline")


class CustomerStatus(CodedEnum):
    POTENTIAL = "potential", _l("Potential")
    ACTUAL = "actual", _l("Actual customer")
    LOST = "lost", _l("Lost")


class PriceTier(CodedEnum):
    ECONOMY = "economy", _l("Economy")
    MID = "mid", _l("Mid-range")
    PREMIUM = "premium", _l("Premium")
    LUXURY = "luxury", _l("Luxury")


class VisitChannel(CodedEnum):
    HOME_VISIT = "home_visit", _l("Home visit")
    PHONE = "phone", _l("Phone call")
    SMS = "sms", _l("SMS")
    WECHAT = "wechat", _l("WeChat")
    LETTER = "letter", _l("Letter")
    IN_STORE = "in_store", _l("In store")


class VisitPurpose(CodedEnum):
    MAINTENANCE = "maintenance", _l("Maintenance and care")
    INSPECTION = "inspection", _l("Inspection")
    INSTALLATION = "installation", _l("Installation")
    MEASUREMENT = "measurement", _l("Measurement")
    FOLLOW_UP = "follow_up", _l("Follow-up call")
    BIRTHDAY = "birthday", _l("Birthday greeting")
    HOLIDAY = "holiday", _l("Holiday greeting")
    PROMOTION = "promotion", _l("Promotion notice")
    COMPLAINT = "complaint", _l("Complaint handling")


class ComplaintChannel(CodedEnum):
    HOTLINE = "hotline", _l("Hotline")
    WEB = "web", _l("Web")
    LETTER = "letter", _l("Letter")
    IN_PERSON = "in_person", _l("In person")
    DEALER = "dealer", _l("Via dealer")
    MEDIA = "media", _l("Media")


class ComplaintCategory(CodedEnum):
    PRODUCT_QUALITY = "product_quality", _l("Product quality")
    INSTALLATION = "installation", _l("Installation")
    DELIVERY = "delivery", _l("Delivery")
    SERVICE_ATTITUDE = "service_attitude", _l("Service attitude")
    PRICE = "price", _l("Price")
    OTHER = "other", _l("Other")


class Severity(CodedEnum):
    LOW = "low", _l("Low")
    NORMAL = "normal", _l("Normal")
    HIGH = "high", _l("High")
    CRITICAL = "critical", _l("Critical")


class ComplaintStatus(CodedEnum):
    NEW = "new", _l("New")
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged")
    IN_PROGRESS = "in_progress", _l("In progress")
    RESOLVED = "resolved", _l("Resolved")
    CLOSED = "closed", _l("Closed")
    REOPENED = "reopened", _l("Reopened")


class TicketTopic(CodedEnum):
    REPAIR = "repair", _l("Repair or maintenance request")
    COMPLAINT = "complaint", _l("Complaint")
    PRODUCT_QUESTION = "product_question", _l("Product question")
    SUGGESTION = "suggestion", _l("Suggestion")
    OTHER = "other", _l("Other")


class TicketChannel(CodedEnum):
    WEB = "web", _l("Web")
    PHONE = "phone", _l("Phone")


class TicketStatus(CodedEnum):
    """The same lifecycle as a complaint (crm.services.lifecycle), worded for a ticket."""

    NEW = "new", _l("Received")
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged")
    IN_PROGRESS = "in_progress", _l("In progress")
    RESOLVED = "resolved", _l("Resolved")
    CLOSED = "closed", _l("Closed")
    REOPENED = "reopened", _l("Reopened")


class CardStatus(CodedEnum):
    NEW = "new", _l("New")
    REVIEWED = "reviewed", _l("Reviewed")
    LINKED = "linked", _l("Linked to customer")
    ARCHIVED = "archived", _l("Archived")


class NoteKind(CodedEnum):
    """Entries of a case's timeline: notes people write, and the lifecycle steps."""

    RESPONSE = "response", _l("Response to the customer")
    PROGRESS = "progress", _l("Progress note")
    ACKNOWLEDGE = "acknowledge", _l("Acknowledged")
    START = "start", _l("Work started")
    RESOLVE = "resolve", _l("Resolved")
    CALLBACK = "callback", _l("Satisfaction call-back")
    CLOSE = "close", _l("Closed")
    REOPEN = "reopen", _l("Reopened")
    ESCALATE = "escalate", _l("Passed to the service desk")


WRITTEN_NOTE_KINDS = (NoteKind.RESPONSE.value, NoteKind.PROGRESS.value)


class TimelineStep(CodedEnum):
    """What a customer sees of a ticket's progress on the status page."""

    RECEIVED = "received", _l("Received")
    ASSIGNED = "assigned", _l("Passed to our service team")
    ANSWERED = "answered", _l("Reply from our service team")
    RESOLVED = "resolved", _l("Resolved")


class ImportStatus(CodedEnum):
    PREVIEWED = "previewed", _l("Checked, not yet imported")
    COMMITTED = "committed", _l("Imported")
    UNDONE = "undone", _l("Undone")


class ImportOutcome(CodedEnum):
    NEW_CUSTOMER = "new", _l("New customer")
    EXISTING_CUSTOMER = "existing", _l("Existing customer")
    ALREADY_IMPORTED = "already", _l("Already imported")
    ERROR = "error", _l("Error")


class AuditAction(CodedEnum):
    CREATE = "create", _l("Created")
    UPDATE = "update", _l("Changed")
    DELETE = "delete", _l("Deleted")
    EXPORT = "export", _l("Personal data exported")  # crm.services.privacy
    ANONYMISE = "anonymise", _l("Anonymised")


OPEN_COMPLAINT_STATUSES = (
    ComplaintStatus.NEW.value,
    ComplaintStatus.ACKNOWLEDGED.value,
    ComplaintStatus.IN_PROGRESS.value,
    ComplaintStatus.REOPENED.value,
)
