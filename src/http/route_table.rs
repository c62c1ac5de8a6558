//! The documented routes, as the service tells an unknown path (404) from a known path asked
//! with the wrong method (405).

/// Which methods each documented route answers: used to tell 405 from 404.
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

enum Segment {
    Literal(String),
    Parameter,
}

impl RouteTable {
    pub fn from_document(api: &serde_json::Value) -> RouteTable {
        const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
        let routes = api["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let segments = path
                            .split('/')
                            .map(|s| {
                                if s.starts_with('{') {
                                    Segment::Parameter
                                } else {
                                    Segment::Literal(s.to_owned())
                                }
                            })
                            .collect();
                        let methods = METHODS
                            .iter()
                            .filter(|m| item.get(**m).is_some())
                            .map(|m| m.to_uppercase())
                            .collect();
                        (segments, methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        RouteTable { routes }
    }

    /// The methods of the documented route matching `path`, if one does.
    pub fn methods_for(&self, path: &str) -> Option<&[String]> {
        let parts: Vec<&str> = path.split('/').collect();
        self.routes
            .iter()
            .find(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(segment, part)| match segment {
                        Segment::Literal(literal) => literal == part,
                        Segment::Parameter => !part.is_empty(),
                    })
            })
            .map(|(_, methods)| methods.as_slice())
    }
}
