"""The spreadsheet engine every table's import and export shares.

- `files`: CSV and XLSX files read into rows of cells, and rows written back.
"""
