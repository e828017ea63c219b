"""A choice field's label read from one dictionary.

Django's ``get_FOO_display()`` builds a dictionary of the field's choices on every call, hashing (so
translating) every label; a page that shows a label per row pays that per row. ``ChoiceLabel("field")`` on a
model gives the same text from one dictionary per field and language, translated at the first use in that
language (a label's text changes only with the code, on a restart):

    status_label = ChoiceLabel("status")   # == str(obj.get_status_display())
"""

from django.utils import translation


class ChoiceLabel:
    def __init__(self, field: str):
        self.field = field
        self.labels = None
        self.texts = {}  # language -> {value: the label's text in it}

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        language = translation.get_language()
        texts = self.texts.get(language)
        if texts is None:
            if self.labels is None:
                self.labels = dict(owner._meta.get_field(self.field).flatchoices)
            texts = self.texts[language] = {value: str(label) for value, label in self.labels.items()}
        value = getattr(obj, self.field)
        text = texts.get(value)
        return str(value) if text is None else text
