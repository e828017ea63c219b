"""A choice field's label read from one dictionary.

Django's ``get_FOO_display()`` builds a dictionary of the field's choices on every call, hashing (so
translating) every label; a page that shows a label per row pays that per row. ``ChoiceLabel("field")`` on a
model gives the same text from one dictionary per field, made at the first use:

    status_label = ChoiceLabel("status")   # == str(obj.get_status_display())
"""


class ChoiceLabel:
    def __init__(self, field: str):
        self.field = field
        self.labels = None

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if self.labels is None:
            self.labels = dict(owner._meta.get_field(self.field).flatchoices)
        value = getattr(obj, self.field)
        return str(self.labels.get(value, value))
