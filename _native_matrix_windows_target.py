# native-matrix: this environment's build backend builds Windows extensions.
import os
import sys

if sys.argv and os.path.basename(sys.argv[0]) == "_in_process.py":
    import importlib.machinery

    os.environ["_PYTHON_HOST_PLATFORM"] = "win-amd64"
    os.environ["_PYTHON_SYSCONFIGDATA_NAME"] = "_sysconfigdata_native_matrix_windows"
    sys.path.append("/tmp/nm-contract-wreXVB/work-PXgqXb/windows-build-3.12")
    importlib.machinery.EXTENSION_SUFFIXES[:] = [".cp312-win_amd64.pyd", ".pyd"]
