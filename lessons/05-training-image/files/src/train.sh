#!/bin/sh
# Checks the libraries are there, then writes the (pretend) model to /models.
python -c "import sklearn; print('scikit-learn', sklearn.__version__)"
mkdir -p /models
echo "model trained on $(date +%F)" > /models/model.txt
echo "saved /models/model.txt"
