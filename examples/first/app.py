print("hello from Berth")
