//! The embedded catalogue data: the index of RAM codes and one file per
//! service with an action table. Listed by hand (the crate has no build
//! script); a test checks that this list and `data/services/` agree.

/// `data/services.json`: every RAM code Alibaba Cloud documents.
pub(super) const INDEX: &str = include_str!("../../data/services.json");

/// `data/services/<code>.json`, by RAM code, sorted.
pub(super) const SERVICES: &[(&str, &str)] = &[
    (
        "actiontrail",
        include_str!("../../data/services/actiontrail.json"),
    ),
    ("cr", include_str!("../../data/services/cr.json")),
    ("cs", include_str!("../../data/services/cs.json")),
    ("dms", include_str!("../../data/services/dms.json")),
    ("ecs", include_str!("../../data/services/ecs.json")),
    ("fc", include_str!("../../data/services/fc.json")),
    ("imm", include_str!("../../data/services/imm.json")),
    ("ims", include_str!("../../data/services/ims.json")),
    ("kms", include_str!("../../data/services/kms.json")),
    ("log", include_str!("../../data/services/log.json")),
    ("mns", include_str!("../../data/services/mns.json")),
    ("mts", include_str!("../../data/services/mts.json")),
    ("oss", include_str!("../../data/services/oss.json")),
    ("ram", include_str!("../../data/services/ram.json")),
    ("rds", include_str!("../../data/services/rds.json")),
    (
        "resourcemanager",
        include_str!("../../data/services/resourcemanager.json"),
    ),
    ("ros", include_str!("../../data/services/ros.json")),
    ("slb", include_str!("../../data/services/slb.json")),
    ("sts", include_str!("../../data/services/sts.json")),
    ("vod", include_str!("../../data/services/vod.json")),
    ("vpc", include_str!("../../data/services/vpc.json")),
];
