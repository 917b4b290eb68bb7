"""Caseload import: a town moving in brings the cases it kept in Excel or kintone."""
