"""The spreadsheet engine every table's import and export shares.

- `files`: CSV and XLSX files read into rows of cells, and rows written back;
- `schema`: a table's columns (Spanish headers, aliases, how a cell is read and written back) and the
  cell types tables share;
- `engine`: a file into a table's records with every error at once, the import's report, and records
  back into a file;
- `reference`: districts and strategic axes as vocabularies a cell may name.

A table (the portfolio: `peam_bot.services.portfolio_sheet`) declares its `schema.Table` and its upsert.
"""
