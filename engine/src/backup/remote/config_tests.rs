use super::*;
use crate::backup::remote::credentials::mask;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

fn parse(vars: &[(&str, &str)]) -> Result<Option<RemoteSettings>, RemoteConfigError> {
    RemoteSettings::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
}

fn s3(extra: &[(&'static str, &'static str)]) -> Result<Option<RemoteSettings>, RemoteConfigError> {
    let mut vars =
        vec![(URL_VAR, "s3://my-backups/prod/app"), (ACCESS_KEY_VAR, "AKIAIOSFODNN7EXAMPLE"), (SECRET_KEY_VAR, SECRET)];
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push((k, v));
    }
    parse(&vars)
}

fn refused(result: Result<Option<RemoteSettings>, RemoteConfigError>) -> RemoteConfigError {
    let err = result.expect_err("must be refused");
    let text = err.to_string();
    assert!(!text.contains(SECRET) && !text.contains(TOKEN), "a secret leaked: {text}");
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(text.starts_with(err.name), "names the variable: {text}");
    err
}

#[test]
fn unset_means_no_remote_but_half_a_remote_is_refused() {
    assert_eq!(parse(&[]).unwrap(), None);
    assert_eq!(parse(&[(URL_VAR, "  ")]).unwrap(), None);
    assert_eq!(refused(parse(&[(ENDPOINT_VAR, "https://s3.example.com")])).name, ENDPOINT_VAR);
    assert_eq!(refused(parse(&[(MAX_RATE_VAR, "10MB")])).name, MAX_RATE_VAR);
}

#[test]
fn an_s3_remote_with_its_defaults() {
    let s = s3(&[]).unwrap().unwrap();
    let RemoteTarget::S3(t) = &s.target else { panic!("expected s3") };
    assert_eq!((t.bucket.as_str(), t.prefix.as_str()), ("my-backups", "prod/app"));
    assert_eq!(t.region, "us-east-1");
    assert_eq!(t.endpoint, None);
    assert_eq!(s.max_rate, None);
    assert_eq!(s.to_string(), "s3://my-backups/prod/app at AWS (region us-east-1, key AKIA…MPLE)");
    assert!(!format!("{s:?}").contains(SECRET), "Debug hides the secret too");
    let s = s3(&[(URL_VAR, "s3://my-backups/"), (SESSION_TOKEN_VAR, TOKEN)]).unwrap().unwrap();
    assert!(!format!("{s:?} {s}").contains(TOKEN));
    assert_eq!(s.url().to_string(), "s3://my-backups");
}

#[test]
fn an_s3_compatible_service() {
    let s = s3(&[
        (ENDPOINT_VAR, "https://s3.eu-central-003.backblazeb2.com"),
        (REGION_VAR, "eu-central-003"),
        (MAX_RATE_VAR, "10MB"),
    ])
    .unwrap()
    .unwrap();
    let RemoteTarget::S3(t) = &s.target else { panic!("expected s3") };
    assert_eq!(t.endpoint.as_ref().unwrap().as_str(), "https://s3.eu-central-003.backblazeb2.com");
    assert_eq!(s.max_rate.unwrap().bytes_per_second(), 10_000_000);
    assert!(s.to_string().contains("at https://s3.eu-central-003.backblazeb2.com"), "{s}");
    for loopback in ["http://127.0.0.1:9000", "http://127.1.2.3", "http://[::1]:9000", "http://localhost:9000"] {
        assert!(s3(&[(ENDPOINT_VAR, loopback)]).is_ok(), "{loopback}");
    }
}

#[test]
fn plain_http_only_on_loopback() {
    for remote in ["http://10.0.0.5:9000", "http://minio.internal", "http://localhost.evil.com", "http://[::2]"] {
        let err = refused(s3(&[(ENDPOINT_VAR, remote)]));
        assert_eq!(err.name, ENDPOINT_VAR);
        assert!(err.reason.contains("loopback"), "{err}");
    }
    for bad in ["ftp://x", "https://s3.example.com/bucket", "https://s3.example.com/?x=1", "not a url"] {
        assert_eq!(refused(s3(&[(ENDPOINT_VAR, bad)])).name, ENDPOINT_VAR, "{bad}");
    }
    let err = refused(s3(&[(ENDPOINT_VAR, "https://AKIA:secretvalue@s3.example.com")]));
    assert!(err.value.is_none() && !err.to_string().contains("secretvalue"), "{err}");
}

#[test]
fn both_keys_are_required_unless_instance_credentials_are_asked_for() {
    let without = |name: &str| {
        let vars: Vec<(&str, &str)> =
            [(URL_VAR, "s3://my-backups"), (ACCESS_KEY_VAR, "AKIAIOSFODNN7EXAMPLE"), (SECRET_KEY_VAR, SECRET)]
                .into_iter()
                .filter(|(k, _)| *k != name)
                .collect();
        parse(&vars)
    };
    for name in [ACCESS_KEY_VAR, SECRET_KEY_VAR] {
        let err = refused(without(name));
        assert_eq!(err.name, name);
        assert!(err.reason.contains("BACKUP_REMOTE_CREDENTIALS=instance"), "{err}");
    }
    let s = parse(&[(URL_VAR, "s3://my-backups"), (CREDENTIALS_VAR, "instance")]).unwrap().unwrap();
    let RemoteTarget::S3(t) = &s.target else { panic!("expected s3") };
    assert_eq!(t.credentials, Credentials::Instance);
    assert!(s.to_string().contains("instance credentials"));
    assert_eq!(refused(s3(&[(CREDENTIALS_VAR, "instance")])).name, ACCESS_KEY_VAR);
    assert_eq!(refused(s3(&[(CREDENTIALS_VAR, "metadata")])).name, CREDENTIALS_VAR);
    let err = refused(s3(&[(SECRET_KEY_VAR, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")]));
    assert!(err.value.is_none() && err.reason.contains("line break"), "{err}");
}

#[test]
fn urls_are_checked() {
    for bad in [
        "s3://",
        "s3://ab",
        "s3://My_Bucket",
        "s3://-bucket",
        "s3://bucket/a/../b",
        "s3://bucket/a//b",
        "s3://bucket/a%2Fb",
        "s3://bucket/p?x=1",
        "https://bucket.s3.amazonaws.com",
        "file://relative/path",
        "file:///",
        "file:///mnt/a/../b",
        "/mnt/offsite",
    ] {
        assert_eq!(refused(s3(&[(URL_VAR, bad)])).name, URL_VAR, "{bad}");
    }
    let err = refused(s3(&[(URL_VAR, "s3://AKIA:hunter2hunter2@bucket")]));
    assert!(err.value.is_none() && !err.to_string().contains("hunter2"), "{err}");
    assert_eq!(
        RemoteUrl::parse("file:///mnt/offsite/app").unwrap(),
        RemoteUrl::File { path: PathBuf::from("/mnt/offsite/app") }
    );
}

#[test]
fn a_folder_remote_takes_no_s3_settings() {
    let s = parse(&[(URL_VAR, "file:///mnt/offsite/app"), (MAX_RATE_VAR, "20MiB")]).unwrap().unwrap();
    assert_eq!(s.target, RemoteTarget::Folder(PathBuf::from("/mnt/offsite/app")));
    assert_eq!(s.to_string(), "file:///mnt/offsite/app, uploads capped at 20.0 MiB/s");
    // AWS_* keys belong to other tools too: a folder remote simply does not use them.
    assert!(parse(&[(URL_VAR, "file:///mnt/x"), (ACCESS_KEY_VAR, "AKIAIOSFODNN7EXAMPLE")]).is_ok());
    for name in [ENDPOINT_VAR, REGION_VAR, CREDENTIALS_VAR] {
        let value = if name == ENDPOINT_VAR { "https://s3.example.com" } else { "instance" };
        assert_eq!(refused(parse(&[(URL_VAR, "file:///mnt/x"), (name, value)])).name, name);
    }
    assert_eq!(refused(parse(&[(URL_VAR, "file:///mnt/x"), (MAX_RATE_VAR, "fast")])).name, MAX_RATE_VAR);
}

#[test]
fn key_ids_are_masked() {
    assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "AKIA…MPLE");
    assert_eq!(mask("testkey1"), "…y1");
    assert_eq!(mask("abc"), "…");
}
