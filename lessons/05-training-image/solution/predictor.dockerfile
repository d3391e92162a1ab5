FROM python:3.11-slim
WORKDIR /app
COPY src/predict.sh .
ENTRYPOINT ["sh", "predict.sh"]
