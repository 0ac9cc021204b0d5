from hopnhat.core.text import fold, nfc


def test_fold_meets_spelling_and_tone_variants():
    assert fold("Phường TRÚC Bạch") == "phuong truc bach"
    assert fold("Hoà Bình") == fold("Hòa Bình") == "hoa binh"
    assert fold("Đội Cấn") == "doi can"
    assert fold("Phường 01") == fold("phuong 1") == "phuong 1"
    assert fold("Phường 10") == "phuong 10"


def test_nfc_composes_decomposed_input():
    decomposed = "Ha\u0300 Nô\u0323i"  # as pasted from some Mac and old Windows tools
    assert nfc(decomposed) == "Hà Nội"
    assert len(nfc(decomposed)) == 6
