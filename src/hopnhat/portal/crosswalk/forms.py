from django import forms

from hopnhat.core.lang import OneLanguageForm

from .models import MappingType


class DecideForm(OneLanguageForm, forms.Form):
    type = forms.ChoiceField(label="Quyết định / Decision", choices=[
        (MappingType.REDIRECT, MappingType.REDIRECT.label), (MappingType.ARCHIVE, MappingType.ARCHIVE.label)])
    target_url = forms.CharField(label="Địa chỉ mới / New URL", required=False, max_length=2048)
    archive_url = forms.CharField(label="Bản lưu trữ / Archived copy", required=False, max_length=2048)
    notes = forms.CharField(label="Ghi chú / Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
