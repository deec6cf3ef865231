"""Serious Violence Strategic Needs Assessment (SNA) workbook."""

__version__ = "0.1.0"
