print("training with requests")
