"""Importing children and wishes from spreadsheets, module by module.

reader: the file decoder (.csv and .xlsx into rows); problems: what a check reports;
columns: the headers and the words cells hold; cells: each column's cleaner; rows: checking
a table's rows; children: the batch from upload to import; template: the template workbook;
views and tasks: the back-office pages and the background work.
"""
