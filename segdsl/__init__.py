"""segdsl: a customer-segmentation language."""

__version__ = "0.1.0"
