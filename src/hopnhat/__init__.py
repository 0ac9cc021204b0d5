"""hopnhat (hợp nhất): one of each information system for a merged Vietnamese government unit."""

__version__ = "0.1.0"
