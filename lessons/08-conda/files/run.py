import numpy
print("numpy", numpy.__version__)
