"""What Excel sees: the functions with Excel's manners (cells, ranges, '#' messages), their
registration with classic xlwings (``udfs``) and the ``main.py`` of an xlwings Lite workbook
(``lite``)."""
