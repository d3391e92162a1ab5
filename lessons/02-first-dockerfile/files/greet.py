print("Hello from inside the container!")
