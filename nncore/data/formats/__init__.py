"""Data file formats: one module per format, each declaring a
:class:`~.data_format.DataFormat` (name, how it is recognised, its options as ``Param``
schemas, its load function), and :func:`~.registry.load_data`, which picks the format for a
path and validates the options against its schema.

=================  ==============================================================
module             holds
=================  ==============================================================
``data_format``    ``DataFormat``; ``OpenParam`` for options no ``Param`` kind fits
``registry``       ``FORMATS``, ``format_for``, ``check_options``, ``load_data``
``csv_sniff``      a CSV file's layout from its head: encoding, delimiter, header
``csv_fast``       the fast reader of all-numeric CSV files (NumPy's C ``loadtxt``)
``csv_table``      the general CSV reader: rows of cells, parsed columns
``csv_files``      ``load_csv``, ``read_csv_column``, the CSV format
``excel``          ``load_excel``: a sheet of an ``.xlsx`` workbook (openpyxl)
``numpy_files``    ``load_numpy``, ``.npz``/``.npy`` readers, the NumPy format
``idx``            ``read_idx``, ``load_idx``, the IDX format
``image_folder``   ``load_image_folder``, the image folder format
``arrays``         ``load_array`` (inputs without labels, for prediction)
``files``          opening files: existence, first bytes, streamed text (gzip,
                   encodings, line ends), ``LoadControl`` (cancel, progress)
``labels``         the task check, class detection, label encoding
=================  ==============================================================
"""
