//! Gives back the spare capacity of a unit's lists once its reader is done. Readers push
//! as they go, and a list of one element pushed that way holds room for four: on one
//! template of 50,000 sessions that spare room was a third of the model (a session's tag
//! list alone held 1.5 KB for one tag). Readers add each session through
//! [`Unit::push_session`], which shrinks it then, so that a large template never holds the
//! spare room of all its sessions at once, next to its YAML tree (with the tree's exact
//! lists, 50,000 sessions: 311 -> 204 MB live at the end of the read).

use super::{Alt, Session, TagSet, Unit};

impl Unit {
    /// Adds a session its reader has finished, without the spare room of its lists.
    pub(crate) fn push_session(&mut self, mut session: Session) {
        session.shrink_to_fit();
        self.sessions.push(session);
    }

    /// Shrinks every list of the unit's sessions and resources to its length.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.sessions.iter_mut().for_each(Session::shrink_to_fit);
        self.sessions.shrink_to_fit();
        for resource in &mut self.resources {
            resource.conditions.shrink_to_fit();
            resource.calls.shrink_to_fit();
            resource.identities.shrink_to_fit();
            resource.literal_ids.shrink_to_fit();
            resource.fields.values_mut().for_each(shrink_field);
        }
        self.resources.shrink_to_fit();
        self.references.shrink_to_fit();
    }
}

impl Session {
    fn shrink_to_fit(&mut self) {
        self.address.shrink_to_fit();
        self.conditions.shrink_to_fit();
        self.calls.shrink_to_fit();
        for prop in super::Prop::ALL {
            shrink_field(self.field_mut(prop));
        }
        self.tags.iter_mut().for_each(shrink_tags);
        self.tags.shrink_to_fit();
    }
}

fn shrink_field(field: &mut Vec<Alt>) {
    field.iter_mut().for_each(|a| a.when.shrink_to_fit());
    field.shrink_to_fit();
}

fn shrink_tags(tags: &mut TagSet) {
    tags.when.shrink_to_fit();
    if let Some(items) = tags.items.as_mut() {
        for item in items.iter_mut() {
            item.key.when.shrink_to_fit();
            item.value.when.shrink_to_fit();
        }
        items.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Alt, Format, Loc, Provider, Session, TagItem, TagSet, Unit};
    use serde_json::json;

    /// Lists as a reader leaves them: pushed one by one, with room to spare.
    fn pushed_session(n: u64) -> Session {
        let mut s = Session::new(
            format!("S{n}"),
            "AWS::EC2::TrafficMirrorSession",
            Provider::Aws,
            Loc::default(),
        );
        s.session_number.push(Alt::known(Loc::default(), json!(n)));
        let items = vec![TagItem {
            loc: Loc::default(),
            key: Alt::known(Loc::default(), json!("Name")),
            value: Alt::known(Loc::default(), json!("x")),
        }];
        s.tags.push(TagSet {
            loc: Loc::default(),
            when: Vec::new(),
            items: Some(items),
            why: String::new(),
        });
        s
    }

    fn spare(unit: &Unit) -> usize {
        let per_session = |s: &Session| {
            let items: usize = s
                .tags
                .iter()
                .filter_map(|t| t.items.as_ref())
                .map(|i| i.capacity() - i.len())
                .sum();
            let fields: usize = s.fields().map(|(_, f)| f.capacity() - f.len()).sum();
            s.tags.capacity() - s.tags.len() + items + fields
        };
        unit.sessions.iter().map(per_session).sum::<usize>() + unit.sessions.capacity()
            - unit.sessions.len()
    }

    /// After shrinking, no list of a unit keeps spare room, and nothing else changes.
    #[test]
    fn shrinking_leaves_no_spare_capacity_and_the_same_unit() {
        let mut unit = Unit::new(Format::CloudFormation, "t.yaml".into(), Vec::new());
        for n in 1..=5 {
            unit.sessions.push(pushed_session(n));
        }
        let before = format!("{:?}", unit.sessions);
        assert!(spare(&unit) > 0, "pushing leaves spare room to give back");
        unit.shrink_to_fit();
        assert_eq!(spare(&unit), 0);
        assert_eq!(format!("{:?}", unit.sessions), before);
    }
}
