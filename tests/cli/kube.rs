//! `berth kube generate`: the Kubernetes YAML for a container and for a Compose project,
//! read back as YAML and checked field by field.

fn run(host: &crate::MemoryHost, line: &str) -> (i32, String, String) {
    let args: Vec<String> = crate::split_words(line).into_iter().skip(1).collect();
    let o = engine::cli::run(&args, host);
    (o.code, o.stdout_text().to_string(), o.stderr_text().to_string())
}

fn docs(yaml: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(yaml).map(|d| serde_json::Value::deserialize(d).unwrap()).collect()
}

#[test]
fn a_container_becomes_a_pod_and_a_service_with_its_settings() {
    let host = crate::MemoryHost::new("//- srv/index.html\nhi\n");
    let (code, _, err) = run(&host, "berth create --name web -p 8080:80 -e MODE=prod -v data:/data -v /srv:/srv:ro -v /cache -m 256m --cpus 1.5 --restart always alpine:3.20 sleep 100");
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&host, "berth kube generate --service web");
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# Save the output of this file and use kubectl create -f to import it into Kubernetes."), "{out}");
    let d = docs(&out);
    assert_eq!(d.len(), 2, "{out}");
    let (pod, svc) = (&d[0], &d[1]);
    assert_eq!((pod["apiVersion"].as_str(), pod["kind"].as_str(), pod["metadata"]["name"].as_str()), (Some("v1"), Some("Pod"), Some("web-pod")));
    assert_eq!(pod["spec"]["restartPolicy"], "Always");
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["image"], "docker.io/library/alpine:3.20");
    assert_eq!(c["command"], serde_json::json!(["sleep", "100"]));
    assert!(c["env"].as_array().unwrap().contains(&serde_json::json!({"name": "MODE", "value": "prod"})), "{c}");
    assert_eq!(c["ports"], serde_json::json!([{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]));
    assert_eq!(c["resources"]["limits"], serde_json::json!({"memory": "268435456", "cpu": "1500m"}));
    let mounts = c["volumeMounts"].as_array().unwrap();
    let volumes = pod["spec"]["volumes"].as_array().unwrap();
    let volume_for = |path: &str| {
        let m = mounts.iter().find(|m| m["mountPath"] == path).unwrap_or_else(|| panic!("{path} in {mounts:?}"));
        (m.clone(), volumes.iter().find(|v| v["name"] == m["name"]).unwrap().clone())
    };
    assert_eq!(volume_for("/data").1["persistentVolumeClaim"]["claimName"], "data");
    let (srv_mount, srv) = volume_for("/srv");
    assert_eq!((srv_mount["readOnly"].as_bool(), srv["hostPath"]["path"].as_str()), (Some(true), Some("/srv")));
    assert!(volume_for("/cache").1.get("emptyDir").is_some());
    assert_eq!((svc["kind"].as_str(), svc["spec"]["selector"]["app"].as_str(), svc["spec"]["type"].as_str()), (Some("Service"), Some("web-pod"), Some("NodePort")));
    assert_eq!(svc["spec"]["ports"], serde_json::json!([{"name": "80-tcp", "port": 8080, "targetPort": 80, "protocol": "TCP"}]));
    // A Deployment instead, and to a file.
    let (code, _, err) = run(&host, "berth kube generate --type deployment -f web.yaml web");
    assert_eq!(code, 0, "{err}");
    let d = docs(&String::from_utf8(host.file("/web.yaml").unwrap()).unwrap());
    assert_eq!((d[0]["kind"].as_str(), d[0]["spec"]["replicas"].as_u64()), (Some("Deployment"), Some(1)));
    assert_eq!(d[0]["spec"]["template"]["spec"]["containers"][0]["ports"][0].get("hostPort"), None, "a Deployment publishes through its Service");
    let (code, _, err) = run(&host, "berth kube generate nosuch");
    assert_eq!((code, err.as_str()), (125, "Error: nosuch: no such pod or container\n"));
}

#[test]
fn a_compose_project_becomes_deployments_and_services() {
    let host = crate::MemoryHost::new(
        "//- compose.yaml
services:
  api:
    image: python:3.11-slim
    command: python -m http.server 8000
    ports: [\"8000:8000\"]
    environment:
      DEBUG: \"1\"
    volumes: [\"models:/models\"]
  worker:
    image: alpine:3.20
    command: [\"sh\", \"-c\", \"sleep 1000\"]
volumes:
  models: {}
",
    );
    let (code, out, err) = run(&host, "berth kube generate --compose");
    assert_eq!(code, 0, "{err}");
    let d = docs(&out);
    let kinds: Vec<(&str, &str)> = d.iter().map(|x| (x["kind"].as_str().unwrap(), x["metadata"]["name"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("Deployment", "api"), ("Service", "api"), ("Deployment", "worker")]);
    let api = &d[0]["spec"]["template"]["spec"];
    assert_eq!(api["containers"][0]["args"], serde_json::json!(["python", "-m", "http.server", "8000"]));
    assert_eq!(api["containers"][0].get("command"), None, "the image's entrypoint stays");
    assert_eq!(api["volumes"][0]["persistentVolumeClaim"]["claimName"], "project-models");
    assert_eq!(d[1]["spec"]["selector"]["app"], "api");
}
