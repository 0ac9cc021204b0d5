from django import forms
from django.db.models import Q

from hopnhat.core.lang import OneLanguageForm, localise_form, vi_en_lazy
from hopnhat.org.models import AdminUnit, Agency

from .models import Criterion, Decision, OldSystem
from .scope import can_register, registrable_agencies, registrable_units


class OldSystemForm(forms.ModelForm):
    class Meta:
        model = OldSystem
        fields = ["code", "name", "system_type", "agency", "new_unit", "vendor", "product", "version", "hosting",
                  "url", "users", "records", "data_gb", "security_level", "contract_end", "endpoints",
                  "yearly_cost_vnd", "capability", "vendor_support", "notes"]
        widgets = {"contract_end": forms.DateInput(attrs={"type": "date"}),
                   "endpoints": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "code": vi_en_lazy("Mã hệ thống",
            "System code"),
            "name": vi_en_lazy("Tên hệ thống",
            "Name"),
            "system_type": vi_en_lazy("Loại hệ thống",
            "Type"),
            "agency": vi_en_lazy("Cơ quan chủ quản",
            "Owning agency"),
            "new_unit": vi_en_lazy("Đơn vị mới phục vụ",
            "New unit served"),
            "vendor": vi_en_lazy("Nhà cung cấp",
            "Vendor"),
            "product": vi_en_lazy("Sản phẩm",
            "Product"),
            "version": vi_en_lazy("Phiên bản",
            "Version"),
            "hosting": vi_en_lazy("Nơi đặt hệ thống",
            "Hosting"),
            "url": vi_en_lazy("Địa chỉ truy cập",
            "Address (URL)"),
            "users": vi_en_lazy("Số tài khoản",
            "User accounts"),
            "records": vi_en_lazy("Số bản ghi",
            "Records"),
            "data_gb": vi_en_lazy("Dung lượng dữ liệu (GB)",
            "Data (GB)"),
            "security_level": vi_en_lazy("Cấp độ an toàn thông tin",
            "Security level"),
            "contract_end": vi_en_lazy("Hết hạn hợp đồng",
            "Contract ends"),
            "endpoints": vi_en_lazy("Điểm tích hợp",
            "Integration points"),
            "yearly_cost_vnd": vi_en_lazy("Chi phí hằng năm (đồng)",
            "Yearly cost (VND)"),
            "capability": vi_en_lazy("Năng lực chức năng (1–5)",
            "Functional capability (1–5)"),
            "vendor_support": vi_en_lazy("Hỗ trợ của nhà cung cấp (1–5)",
            "Vendor support (1–5)"),
            "notes": vi_en_lazy("Ghi chú",
            "Notes"),
        }
        help_texts = {
            "code": vi_en_lazy("Khóa mà các lượt chuyển đổi dùng, ví dụ portal-hagianggovvn",
            "The key migration runs use, e.g. portal-hagianggovvn"),
            "agency": vi_en_lazy("Thường là cơ quan đã dừng hoạt động sau sắp xếp",
            "Often one closed by the reform"),
            "new_unit": vi_en_lazy("Tỉnh hoặc xã sau sắp xếp mà hệ thống sẽ phục vụ",
            "The post-reform province or commune it will serve"),
            "endpoints": vi_en_lazy("Mỗi dòng một điểm (LGSP, NDXP, Cổng DVC QG…)",
            "One per line (LGSP, NDXP, national portal…)"),
            "capability": vi_en_lazy("Do tổ công nghệ thông tin đánh giá",
            "Rated by the IT team"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        agencies, units = registrable_agencies(user), registrable_units(user)
        if self.instance.pk:  # a system seen through its new unit keeps its owner even when not theirs
            agencies = Agency.objects.filter(Q(pk__in=agencies.values("pk")) | Q(pk=self.instance.agency_id))
            units = AdminUnit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk=self.instance.new_unit_id))
        self.fields["agency"].queryset = agencies.order_by("path")
        self.fields["new_unit"].queryset = units.order_by("level", "code")
        if self.instance.pk:  # the engine's runs are keyed by the code: it does not change once recorded
            self.fields["code"].disabled = True
        localise_form(self)

    def clean(self):
        data = super().clean()
        agency, unit = data.get("agency"), data.get("new_unit")
        if agency and unit and not can_register(self.user, agency, unit):
            raise forms.ValidationError("Cơ quan và đơn vị mới đều ngoài phạm vi của bạn / neither the agency nor "
                                        "the new unit is yours")
        return data


class DecisionForm(forms.Form):
    system = forms.ModelChoiceField(queryset=OldSystem.objects.none(), to_field_name="code")
    decision = forms.ChoiceField(choices=Decision.choices)
    into = forms.ModelChoiceField(queryset=OldSystem.objects.none(), to_field_name="code", required=False)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    wave = forms.IntegerField(min_value=1, required=False)
    planned_start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    planned_end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].queryset = candidates
        self.fields["into"].queryset = candidates
        localise_form(self)


class WeightsForm(forms.Form):
    def __init__(self, *args, weights, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Criterion.choices:
            self.fields[value] = forms.DecimalField(label=label, min_value=0, max_value=999, decimal_places=2,
                                                    initial=weights[value])
        localise_form(self)


class ImportForm(OneLanguageForm, forms.Form):
    file = forms.FileField(label="Tệp Excel (.xlsx) / Excel file")
    dry_run = forms.BooleanField(label="Chỉ kiểm tra, không ghi / check only", required=False)
