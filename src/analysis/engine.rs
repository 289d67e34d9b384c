//! The decision procedure: requests as points of a product space
//! (action class × resource class × a state per condition key), each
//! statement as a conjunction of constraints on single dimensions, and a
//! depth-first search for a point that satisfies a formula of statement
//! matches.
//!
//! A key's state is "absent" or a non-empty set of value classes (one
//! class for a single-valued key). Every condition entry, for either
//! effect, is a union of [`KeyForm`]s: "absent", or "present, every value
//! in `all`, some value in each of `exists`". Forms are closed under
//! intersection and their emptiness is exact: a set of values meeting each
//! `exists` inside `all` exists iff `all` meets each of them (for a
//! single-valued key, iff `all` meets their intersection). The negation of
//! a statement is the union of the negations of its constraints, so the
//! search branches over which constraint fails, pruning every branch whose
//! constraints leave nothing; a point of the final cube satisfies every
//! goal, and an exhausted search proves there is none. The search is
//! bounded by [`MAX_NODES`].

use std::collections::HashMap;
use std::rc::Rc;

use super::bits::Bits;
use super::domain::{KeyDomain, Test};
use super::lang::{Lang, LangBuilder, Pat, Universe};
use crate::condition::{Condition, Operator, SetQualifier, Values};
use crate::eval::PolicySet;
use crate::policy::{Effect, PolicyRef, Statement};
use crate::principal::Principal;

/// The most search nodes one question may visit.
pub const MAX_NODES: u64 = 400_000;

/// Why a question was not decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Undecided(pub String);

/// The states of one key a constraint allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyForm {
    pub absent: bool,
    pub present: bool,
    pub all: Bits,
    pub exists: Vec<Bits>,
}

impl KeyForm {
    fn full(n: usize, absent: bool) -> KeyForm {
        KeyForm {
            absent,
            present: true,
            all: Bits::full(n),
            exists: Vec::new(),
        }
    }

    fn absent_only(n: usize) -> KeyForm {
        KeyForm {
            absent: true,
            present: false,
            all: Bits::full(n),
            exists: Vec::new(),
        }
    }

    fn present(all: Bits, exists: Vec<Bits>) -> KeyForm {
        KeyForm {
            absent: false,
            present: true,
            all,
            exists,
        }
    }

    fn present_nonempty(&self, multi: bool) -> bool {
        if !self.present || self.all.is_empty() {
            return false;
        }
        if multi {
            self.exists.iter().all(|e| e.meets(&self.all))
        } else {
            let mut x = self.all.clone();
            for e in &self.exists {
                x.intersect_with(e);
            }
            !x.is_empty()
        }
    }

    pub(crate) fn is_empty(&self, multi: bool) -> bool {
        !self.absent && !self.present_nonempty(multi)
    }

    fn intersect(&mut self, other: &KeyForm, multi: bool) {
        self.absent &= other.absent;
        self.present &= other.present;
        self.all.intersect_with(&other.all);
        if multi {
            for e in &other.exists {
                if !self.all.is_subset(e) && !self.exists.contains(e) {
                    self.exists.push(e.clone());
                }
            }
        } else {
            for e in &other.exists {
                self.all.intersect_with(e);
            }
            for e in std::mem::take(&mut self.exists) {
                self.all.intersect_with(&e);
            }
        }
        if !self.present_nonempty(multi) {
            self.present = false;
            self.exists.clear();
        }
    }
}

/// A constraint on one dimension.
#[derive(Debug, Clone)]
pub(crate) enum Lit {
    Action(Bits),
    Resource(Bits),
    Key(usize, KeyForm),
}

/// A formula over statement matches.
#[derive(Debug, Clone)]
pub(crate) enum F {
    True,
    False,
    Lit(Lit),
    Match(u32),
    NotMatch(u32),
    And(Vec<F>),
    Or(Rc<Vec<F>>),
}

impl F {
    pub(crate) fn or(v: Vec<F>) -> F {
        match v.len() {
            0 => F::False,
            1 => v.into_iter().next().unwrap_or(F::False),
            _ => F::Or(Rc::new(v)),
        }
    }

    pub(crate) fn and(v: Vec<F>) -> F {
        match v.len() {
            0 => F::True,
            1 => v.into_iter().next().unwrap_or(F::True),
            _ => F::And(v),
        }
    }
}

/// A statement's principal, decided for the question's caller.
#[derive(Debug, Clone)]
enum PrincipalPart {
    Yes,
    No,
    /// Named only through `acs:Service` in the context.
    ByService(KeyForm),
}

/// A statement compiled to constraints.
#[derive(Debug, Clone)]
pub(crate) struct CStmt {
    pub effect: Effect,
    action: Bits,
    resource: Bits,
    principal: PrincipalPart,
    /// Per condition entry: the key and the forms where it holds and fails.
    entries: Vec<(usize, Vec<KeyForm>, Vec<KeyForm>)>,
}

/// A point of the space, as a set: each dimension's allowed values.
#[derive(Debug, Clone)]
pub(crate) struct Cube {
    pub action: Bits,
    pub resource: Bits,
    pub keys: Vec<KeyForm>,
    /// Statements whose match the search has already required: every
    /// request of the cube matches them.
    matched: Vec<u32>,
}

impl Cube {
    /// The words a copy of the cube takes, for the search's step count.
    fn weight(&self) -> u64 {
        let keys: usize = self
            .keys
            .iter()
            .map(|k| 1 + k.all.words() * (1 + k.exists.len()))
            .sum();
        (self.action.words() + self.resource.words() + keys + self.matched.len()) as u64
    }
}

/// The space of requests that the given statements can tell apart.
pub(crate) struct Space {
    pub actions: Lang,
    pub resources: Lang,
    pub keys: Vec<KeyDomain>,
    key_index: HashMap<String, usize>,
    pub stmts: Vec<CStmt>,
    by_policy: HashMap<*const crate::policy::Policy, u32>,
    /// Action patterns added by the question (e.g. `check --not-granted`).
    pub extra_actions: Vec<u32>,
    pub extra_resources: Vec<u32>,
    /// The caller's `acs:Service` key, when a `Principal` names a service.
    service_key: Option<usize>,
    /// The caller is a service (`sts:AssumeRole` takes the trust policy
    /// alone).
    service_caller: bool,
    /// The caller is a service-linked role or a session of one: control
    /// policies do not apply (docs/semantics.md, "Evaluation", step 1).
    linked_caller: bool,
    /// `acs:PrincipalARN`, when conditions test it and the caller has one:
    /// its key and the one class RAM's value falls in. RAM fills the key
    /// from the caller and `Request::new` refuses any other value
    /// (docs/semantics.md, "Request context RAM fills"), so no request of
    /// the question carries another.
    pub(crate) principal_arn: Option<(usize, usize)>,
    /// The value comparisons its construction took, charged to the
    /// question's [`Budget`].
    pub(crate) work: u64,
}

/// What a question adds to the policies' own patterns.
#[derive(Debug, Default, Clone)]
pub(crate) struct Extra {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

struct Collected<'p> {
    actions: LangBuilder,
    resources: LangBuilder,
    stmt_actions: Vec<Vec<u32>>,
    stmt_resources: Vec<Option<Vec<u32>>>,
    tests: Vec<(String, Test)>,
    statements: Vec<&'p Statement>,
}

impl Space {
    /// Compiles every statement of `policies` (each policy once) for the
    /// caller `principal` (`None`: statements without `Principal` only).
    pub(crate) fn build(
        policies: &[PolicyRef],
        principal: Option<&Principal>,
        extra: &Extra,
    ) -> Result<Space, Undecided> {
        let mut c = Collected {
            actions: LangBuilder::default(),
            resources: LangBuilder::default(),
            stmt_actions: Vec::new(),
            stmt_resources: Vec::new(),
            tests: Vec::new(),
            statements: Vec::new(),
        };
        let mut by_policy = HashMap::new();
        let mut seen_policies: Vec<&PolicyRef> = Vec::new();
        for p in policies {
            let ptr = std::sync::Arc::as_ptr(p);
            if by_policy.contains_key(&ptr) {
                continue;
            }
            by_policy.insert(ptr, c.statements.len() as u32);
            seen_policies.push(p);
            for s in &p.statements {
                c.statements.push(s);
                c.stmt_actions.push(
                    s.action
                        .patterns
                        .iter()
                        .map(|a| c.actions.add(Pat::wildcard(a.wildcard.as_str(), true)))
                        .collect(),
                );
                c.stmt_resources.push(s.resource.as_ref().map(|r| {
                    r.patterns
                        .iter()
                        .map(|x| c.resources.add(Pat::wildcard(x.wildcard.as_str(), false)))
                        .collect()
                }));
                if let Some(cond) = &s.condition {
                    collect_tests(cond, &mut c.tests);
                }
                if let Some(block) = &s.principal
                    && !block.service.is_empty()
                {
                    let values: Vec<String> =
                        block.service.iter().map(|e| e.value.clone()).collect();
                    let wild = values
                        .iter()
                        .map(|v| {
                            crate::wildcard::Wildcard::new(v, crate::wildcard::Case::Sensitive)
                        })
                        .collect();
                    c.tests.push((
                        "acs:Service".to_string(),
                        Test {
                            operator: Operator::StringLike,
                            values: Values::Patterns(wild),
                            raw: values,
                        },
                    ));
                }
            }
        }
        let extra_actions: Vec<u32> = extra
            .actions
            .iter()
            .map(|a| c.actions.add(Pat::wildcard(a, true)))
            .collect();
        let extra_resources: Vec<u32> = extra
            .resources
            .iter()
            .map(|r| c.resources.add(Pat::wildcard(r, false)))
            .collect();
        // sts:AssumeRole is told apart: it takes the trust policy's step.
        c.actions.add(Pat::literal("sts:assumerole"));
        let actions = c
            .actions
            .build(Universe::Action)
            .map_err(|e| Undecided(format!("actions: {}", e.0)))?;
        let resources = c
            .resources
            .build(Universe::Resource)
            .map_err(|e| Undecided(format!("resources: {}", e.0)))?;

        // Keys, in order of first mention.
        let mut key_index: HashMap<String, usize> = HashMap::new();
        let mut key_names: Vec<String> = Vec::new();
        let mut key_tests: Vec<Vec<Test>> = Vec::new();
        for (name, test) in &c.tests {
            let lower = name.to_ascii_lowercase();
            let k = *key_index.entry(lower).or_insert_with(|| {
                key_names.push(name.clone());
                key_tests.push(Vec::new());
                key_names.len() - 1
            });
            if test.operator != Operator::Null {
                key_tests[k].push(test.clone());
            }
        }
        let mut budget = super::domain::MAX_COMPARISONS;
        let mut keys = Vec::with_capacity(key_names.len());
        for (name, tests) in key_names.iter().zip(key_tests) {
            keys.push(KeyDomain::build(name, tests, &mut budget).map_err(Undecided)?);
        }
        let service_key = key_index.get("acs:service").copied();
        let principal_arn = match (
            key_index.get("acs:principalarn"),
            principal.and_then(Principal::principal_arn),
        ) {
            (Some(&k), Some(arn)) => {
                let c = keys[k].classify(&arn).ok_or_else(|| {
                    Undecided(format!(
                        "the caller's acs:PrincipalARN {arn:?} fits no class of the key"
                    ))
                })?;
                Some((k, c as usize))
            }
            _ => None,
        };

        let mut space = Space {
            actions,
            resources,
            keys,
            key_index,
            stmts: Vec::with_capacity(c.statements.len()),
            by_policy,
            extra_actions,
            extra_resources,
            service_key,
            service_caller: principal.is_some_and(Principal::is_outside_ram),
            linked_caller: principal.is_some_and(Principal::is_service_linked),
            principal_arn,
            work: 0,
        };
        for (i, s) in c.statements.iter().enumerate() {
            let action = space.actions.matching(&c.stmt_actions[i], s.action.negated);
            let resource = match (&c.stmt_resources[i], &s.resource) {
                (Some(ids), Some(r)) => space.resources.matching(ids, r.negated),
                _ => space.resources.all(),
            };
            let principal = space.principal_part(s, principal);
            let mut entries = Vec::new();
            if let Some(cond) = &s.condition {
                for clause in &cond.clauses {
                    for entry in &clause.entries {
                        // Each class of the key against each value.
                        let n = space.keys[space.key_index[&entry.key_lower]].len() as u64;
                        super::domain::charge(
                            &mut budget,
                            n.saturating_mul(entry.raw_values.len().max(1) as u64),
                            &format!("condition key {}", entry.key),
                        )
                        .map_err(Undecided)?;
                        entries.push(space.entry_forms(
                            &clause.operator,
                            &entry.key_lower,
                            &entry.values,
                            s.effect,
                        ));
                    }
                }
            }
            space.stmts.push(CStmt {
                effect: s.effect,
                action,
                resource,
                principal,
                entries,
            });
        }
        space.work = (super::domain::MAX_COMPARISONS - budget)
            .saturating_add(space.actions.work)
            .saturating_add(space.resources.work);
        Ok(space)
    }

    /// The id of statement `index` of `policy`.
    pub(crate) fn stmt_id(&self, policy: &PolicyRef, index: usize) -> Option<u32> {
        let base = self.by_policy.get(&std::sync::Arc::as_ptr(policy))?;
        let id = base + index as u32;
        ((id as usize) < self.stmts.len()).then_some(id)
    }

    /// The ids of a policy's statements.
    pub(crate) fn policy_stmts(&self, policy: &PolicyRef) -> Vec<(u32, Effect)> {
        (0..policy.statements.len())
            .filter_map(|i| self.stmt_id(policy, i))
            .map(|id| (id, self.stmts[id as usize].effect))
            .collect()
    }

    fn principal_part(&self, s: &Statement, caller: Option<&Principal>) -> PrincipalPart {
        let Some(block) = &s.principal else {
            return PrincipalPart::Yes;
        };
        let Some(caller) = caller else {
            return PrincipalPart::No;
        };
        if crate::eval::principal_named(block, caller) {
            return PrincipalPart::Yes;
        }
        match (self.service_key, block.service.is_empty()) {
            (Some(k), false) => {
                let d = &self.keys[k];
                let mut all = Bits::new(d.len());
                // The test added for this block: the classes any of its
                // service patterns match.
                for (c, rep) in d.reps.iter().enumerate() {
                    if block.service.iter().any(|e| e.pattern.matches(rep)) {
                        all.set(c);
                    }
                }
                PrincipalPart::ByService(KeyForm::present(all, Vec::new()))
            }
            _ => PrincipalPart::No,
        }
    }

    fn entry_forms(
        &self,
        spec: &crate::condition::OperatorSpec,
        key_lower: &str,
        values: &Values,
        effect: Effect,
    ) -> (usize, Vec<KeyForm>, Vec<KeyForm>) {
        let k = self.key_index[key_lower];
        let d = &self.keys[k];
        let n = d.len();
        let multi = d.multi;
        let full = Bits::full(n);
        if spec.operator == Operator::Null {
            let Values::Bools(list) = values else {
                return (k, Vec::new(), vec![KeyForm::full(n, true)]);
            };
            let (a, p) = (list.contains(&true), list.contains(&false));
            let pos = KeyForm {
                absent: a,
                present: p,
                all: full.clone(),
                exists: Vec::new(),
            };
            let neg = KeyForm {
                absent: !a,
                present: !p,
                all: full,
                exists: Vec::new(),
            };
            let keep = |f: KeyForm| (!f.is_empty(multi)).then_some(f);
            return (
                k,
                keep(pos).into_iter().collect(),
                keep(neg).into_iter().collect(),
            );
        }
        // Per class: readable, and holding (the operator, negation applied).
        let negated = spec.operator.is_negated();
        let (mut r, mut h) = (Bits::new(n), Bits::new(n));
        for c in 0..n {
            let value = &d.reps[c];
            if let Some(m) = crate::condition::value_matches(spec.operator, values, value) {
                r.set(c);
                if m != negated {
                    h.set(c);
                }
            }
        }
        let absent_truth = spec.if_exists
            || match spec.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => negated,
            };
        let forall = matches!(spec.qualifier, Some(SetQualifier::ForAllValues))
            || (spec.qualifier.is_none() && negated);
        let not_r = r.complemented();
        let not_h = h.complemented();
        let r_minus_h = r.intersection(&not_h);
        let p = |all: &Bits, exists: Vec<Bits>| KeyForm::present(all.clone(), exists);
        let (pos_p, neg_p) = match (effect, forall) {
            (Effect::Allow, true) => (vec![p(&h, vec![])], vec![p(&full, vec![not_h.clone()])]),
            (Effect::Allow, false) => (
                vec![p(&r, vec![h.clone()])],
                vec![p(&full, vec![not_r.clone()]), p(&not_h, vec![])],
            ),
            (Effect::Deny, true) => (
                vec![p(&full, vec![not_r.clone()]), p(&h, vec![])],
                vec![p(&r, vec![r_minus_h.clone()])],
            ),
            (Effect::Deny, false) => (
                vec![p(&full, vec![not_r.clone()]), p(&full, vec![h.clone()])],
                vec![p(&r_minus_h, vec![])],
            ),
        };
        let mut pos = Vec::new();
        let mut neg = Vec::new();
        if absent_truth {
            pos.push(KeyForm::absent_only(n));
        } else {
            neg.push(KeyForm::absent_only(n));
        }
        pos.extend(pos_p);
        neg.extend(neg_p);
        let clean = |v: Vec<KeyForm>| -> Vec<KeyForm> {
            v.into_iter()
                .map(|mut f| {
                    f.intersect(&KeyForm::full(n, true), multi);
                    f
                })
                .filter(|f| !f.is_empty(multi))
                .collect()
        };
        (k, clean(pos), clean(neg))
    }

    /// The cube of every request.
    pub(crate) fn full_cube(&self) -> Cube {
        let mut keys: Vec<KeyForm> = self
            .keys
            .iter()
            .map(|d| KeyForm::full(d.len(), !d.always_present))
            .collect();
        if let Some((k, c)) = self.principal_arn {
            let mut one = Bits::new(self.keys[k].len());
            one.set(c);
            keys[k] = KeyForm::present(one, Vec::new());
        }
        Cube {
            action: self.actions.all(),
            resource: self.resources.all(),
            keys,
            matched: Vec::new(),
        }
    }

    /// The key of a lower-cased name, if any condition tests it.
    pub(crate) fn key(&self, lower: &str) -> Option<usize> {
        self.key_index.get(lower).copied()
    }

    /// The classes of `sts:AssumeRole`.
    pub(crate) fn assume_role(&self) -> Bits {
        let mut b = Bits::new(self.actions.len());
        if let Some(c) = self.actions.classify("sts:AssumeRole") {
            b.set(c as usize);
        }
        b
    }

    /// "Some request a policy set allows": the formula of the evaluation
    /// steps (docs/semantics.md, "Evaluation") for the space's caller, when
    /// `resource` holds the resource's policy. As in `eval::evaluate`,
    /// control policies do not apply to a service-linked role, and a
    /// service assuming a role needs the trust policy alone.
    pub(crate) fn allowed(&self, set: &PolicySet) -> F {
        let service_caller = self.service_caller;
        let allows = |ps: &[PolicyRef]| -> F {
            let mut allow = Vec::new();
            let mut deny = Vec::new();
            for p in ps {
                for (id, effect) in self.policy_stmts(p) {
                    match effect {
                        Effect::Allow => allow.push(F::Match(id)),
                        Effect::Deny => deny.push(F::NotMatch(id)),
                    }
                }
            }
            deny.push(F::or(allow));
            F::and(deny)
        };
        let no_deny = |ps: &[PolicyRef]| -> F {
            F::and(
                ps.iter()
                    .flat_map(|p| self.policy_stmts(p))
                    .filter(|(_, e)| *e == Effect::Deny)
                    .map(|(id, _)| F::NotMatch(id))
                    .collect(),
            )
        };
        let some_allow = |ps: &[PolicyRef]| -> F {
            F::or(
                ps.iter()
                    .flat_map(|p| self.policy_stmts(p))
                    .filter(|(_, e)| *e == Effect::Allow)
                    .map(|(id, _)| F::Match(id))
                    .collect(),
            )
        };
        let mut goals = Vec::new();
        if !set.control.is_empty() && !self.linked_caller {
            goals.push(allows(&set.control));
        }
        if let Some(s) = &set.session {
            goals.push(allows(std::slice::from_ref(s)));
        }
        goals.push(no_deny(&set.identity));
        let resource: &[PolicyRef] = set.resource.as_slice();
        goals.push(no_deny(resource));
        let ar = self.assume_role();
        let not_ar = ar.complemented();
        let normal = F::or(vec![some_allow(&set.identity), some_allow(resource)]);
        let assume = if service_caller {
            some_allow(resource)
        } else {
            F::and(vec![some_allow(&set.identity), some_allow(resource)])
        };
        goals.push(F::or(vec![
            F::and(vec![F::Lit(Lit::Action(ar)), assume]),
            F::and(vec![F::Lit(Lit::Action(not_ar)), normal]),
        ]));
        F::and(goals)
    }

    /// "The policy set does not allow": the negation of [`Space::allowed`].
    pub(crate) fn not_allowed(&self, set: &PolicySet) -> F {
        negate(&self.allowed(set))
    }

    fn match_goals(&self, s: u32) -> Vec<F> {
        let st = &self.stmts[s as usize];
        let mut out = vec![
            F::Lit(Lit::Action(st.action.clone())),
            F::Lit(Lit::Resource(st.resource.clone())),
        ];
        match &st.principal {
            PrincipalPart::Yes => {}
            PrincipalPart::No => out.push(F::False),
            PrincipalPart::ByService(f) => {
                if let Some(k) = self.service_key {
                    out.push(F::Lit(Lit::Key(k, f.clone())));
                }
            }
        }
        for (k, pos, _) in &st.entries {
            out.push(F::or(
                pos.iter()
                    .map(|f| F::Lit(Lit::Key(*k, f.clone())))
                    .collect(),
            ));
        }
        out
    }

    /// The ways statement `s` can fail to match, as constraints.
    fn not_match_alternatives(&self, s: u32) -> Vec<Lit> {
        let st = &self.stmts[s as usize];
        let mut out = vec![
            Lit::Action(st.action.complemented()),
            Lit::Resource(st.resource.complemented()),
        ];
        match &st.principal {
            PrincipalPart::Yes => {}
            PrincipalPart::No => return Vec::new(),
            PrincipalPart::ByService(f) => {
                if let Some(k) = self.service_key {
                    out.push(Lit::Key(
                        k,
                        KeyForm {
                            absent: true,
                            present: true,
                            all: f.all.complemented(),
                            exists: Vec::new(),
                        },
                    ));
                }
            }
        }
        for (k, _, neg) in &st.entries {
            out.extend(neg.iter().map(|f| Lit::Key(*k, f.clone())));
        }
        out
    }

    fn meets(&self, cube: &Cube, lit: &Lit) -> bool {
        match lit {
            Lit::Action(b) => cube.action.meets(b),
            Lit::Resource(b) => cube.resource.meets(b),
            Lit::Key(k, f) => {
                let mut x = cube.keys[*k].clone();
                x.intersect(f, self.keys[*k].multi);
                !x.is_empty(self.keys[*k].multi)
            }
        }
    }

    fn apply(&self, cube: &mut Cube, lit: &Lit) -> bool {
        match lit {
            Lit::Action(b) => {
                cube.action.intersect_with(b);
                !cube.action.is_empty()
            }
            Lit::Resource(b) => {
                cube.resource.intersect_with(b);
                !cube.resource.is_empty()
            }
            Lit::Key(k, f) => {
                let multi = self.keys[*k].multi;
                cube.keys[*k].intersect(f, multi);
                !cube.keys[*k].is_empty(multi)
            }
        }
    }

    /// Whether statement `s` matches no request of the cube.
    fn disjoint(&self, cube: &Cube, s: u32) -> bool {
        let st = &self.stmts[s as usize];
        if !cube.action.meets(&st.action) || !cube.resource.meets(&st.resource) {
            return true;
        }
        match &st.principal {
            PrincipalPart::Yes => {}
            PrincipalPart::No => return true,
            PrincipalPart::ByService(f) => {
                if let Some(k) = self.service_key
                    && !self.meets(cube, &Lit::Key(k, f.clone()))
                {
                    return true;
                }
            }
        }
        st.entries.iter().any(|(k, pos, _)| {
            pos.iter()
                .all(|f| !self.meets(cube, &Lit::Key(*k, f.clone())))
        })
    }
}

/// The negation of a formula, in negation normal form.
pub(crate) fn negate(f: &F) -> F {
    match f {
        F::True => F::False,
        F::False => F::True,
        F::Match(s) => F::NotMatch(*s),
        F::NotMatch(s) => F::Match(*s),
        F::And(v) => F::or(v.iter().map(negate).collect()),
        F::Or(v) => F::and(v.iter().map(negate).collect()),
        F::Lit(l) => F::Lit(match l {
            Lit::Action(b) => Lit::Action(b.complemented()),
            Lit::Resource(b) => Lit::Resource(b.complemented()),
            // Key literals appear only inside statements, never negated
            // on their own.
            Lit::Key(k, f) => Lit::Key(
                *k,
                KeyForm {
                    absent: !f.absent,
                    present: true,
                    all: f.all.complemented(),
                    exists: Vec::new(),
                },
            ),
        }),
    }
}

enum Alternatives {
    Satisfied,
    List(Vec<F>),
}

/// A depth-first search for a request satisfying a formula.
///
/// The search keeps its own stack (no recursion whose depth a policy
/// controls: a document of thousands of Deny statements branches thousands
/// deep) and counts its work in steps: a goal taken from the queue, a
/// branch looked at, a word of a cube copied. A question past
/// [`MAX_NODES`] nodes or [`MAX_STEPS`] steps in one search, or past
/// [`MAX_QUESTION_STEPS`] steps over all its searches, is undecided
/// (docs/analysis.md, "Limits"). Memory is bounded by the steps: every
/// word the stack holds was counted when it was copied.
pub(crate) struct Search<'s> {
    space: &'s Space,
    nodes: u64,
    limit: u64,
    steps: u64,
    step_limit: u64,
    /// Steps over every `find` of this search.
    total: u64,
    total_limit: u64,
}

/// The most steps one search may take (see [`Search`]).
pub const MAX_STEPS: u64 = 20_000_000;

/// The most steps all the searches of one question may take together
/// (`diff` runs one search per granting statement, `can-i --list` one per
/// statement and class of actions).
pub const MAX_QUESTION_STEPS: u64 = 60_000_000;

/// What is left of one question's [`MAX_QUESTION_STEPS`], over all its
/// spaces and searches: `diff` builds one per caller, `who-can` one per
/// principal of the store, so a per-search bound alone would let a
/// document with thousands of `Principal` entries, or a store with
/// thousands of roles, multiply it (docs/analysis.md, "Limits").
#[derive(Debug)]
pub(crate) struct Budget(u64);

impl Budget {
    /// A question's budget.
    pub(crate) fn question() -> Budget {
        Budget(MAX_QUESTION_STEPS)
    }

    /// `Undecided` when nothing is left: checked before a space is built.
    pub(crate) fn check(&self) -> Result<(), Undecided> {
        if self.0 == 0 {
            return Err(Undecided(format!(
                "the question took more than {MAX_QUESTION_STEPS} steps"
            )));
        }
        Ok(())
    }

    /// Charges `n` steps of work done outside a search (`who-can`'s
    /// concrete evaluations), `Undecided` when that leaves nothing.
    pub(crate) fn charge(&mut self, n: u64) -> Result<(), Undecided> {
        self.check()?;
        self.0 = self.0.saturating_sub(n);
        Ok(())
    }

    /// A search drawing on what is left, or `Undecided` when nothing is.
    pub(crate) fn search<'s>(&self, space: &'s Space) -> Result<Search<'s>, Undecided> {
        self.check()?;
        Ok(Search::new(space).with_total_limit(self.0))
    }

    /// Charges a space whose construction ran out of its budget: what it
    /// may take at most (the value comparisons, and the automata of both
    /// dimensions).
    pub(crate) fn spend_failed_build(&mut self) {
        let most = super::domain::MAX_COMPARISONS + 2 * super::lang::MAX_WORK;
        self.0 = self.0.saturating_sub(most);
    }

    /// Charges what a space's construction and a search took.
    pub(crate) fn spend(&mut self, space: &Space, search: &Search<'_>) {
        self.0 = self
            .0
            .saturating_sub(space.work.saturating_add(search.total_steps()));
    }
}

/// A node of the search still to visit: a shared parent state (cube and
/// pending branch goals) and the alternative this node takes.
struct Frame {
    base: Rc<(Cube, Vec<F>)>,
    alt: Option<F>,
}

/// What propagating a node's goals gave.
enum Expanded {
    Found(Cube),
    Empty,
    /// Branch over `alts`, each with the cube and the other branch goals.
    Branch(Cube, Vec<F>, Vec<F>),
}

impl<'s> Search<'s> {
    pub(crate) fn new(space: &'s Space) -> Search<'s> {
        Search::with_limit(space, MAX_NODES)
    }

    /// A search that gives up after `limit` nodes.
    pub(crate) fn with_limit(space: &'s Space, limit: u64) -> Search<'s> {
        Search {
            space,
            nodes: 0,
            limit,
            steps: 0,
            step_limit: MAX_STEPS,
            total: 0,
            total_limit: MAX_QUESTION_STEPS,
        }
    }

    /// The steps taken by every `find` so far.
    pub(crate) fn total_steps(&self) -> u64 {
        self.total
    }

    /// Limits every `find` together to `limit` steps (a question made of
    /// several searches, e.g. `who-can` over a store's principals).
    pub(crate) fn with_total_limit(mut self, limit: u64) -> Search<'s> {
        self.total_limit = limit;
        self
    }

    /// A cube of requests satisfying `goal` inside `cube`, `None` when
    /// there is none.
    pub(crate) fn find(&mut self, cube: Cube, goal: F) -> Result<Option<Cube>, Undecided> {
        self.nodes = 0;
        self.steps = 0;
        let mut stack = vec![Frame {
            base: Rc::new((cube, vec![goal])),
            alt: None,
        }];
        while let Some(frame) = stack.pop() {
            self.nodes += 1;
            if self.nodes > self.limit {
                return Err(Undecided(format!(
                    "the search visited more than {} nodes",
                    self.limit
                )));
            }
            let (cube, mut goals) =
                Rc::try_unwrap(frame.base).unwrap_or_else(|shared| (*shared).clone());
            self.step(cube.weight() + goals.len() as u64)?;
            goals.extend(frame.alt);
            match self.expand(cube, goals)? {
                Expanded::Found(c) => return Ok(Some(c)),
                Expanded::Empty => {}
                Expanded::Branch(cube, branches, alts) => {
                    // Reversed, so the first alternative is searched first.
                    let base = Rc::new((cube, branches));
                    for alt in alts.into_iter().rev() {
                        stack.push(Frame {
                            base: base.clone(),
                            alt: Some(alt),
                        });
                    }
                }
            }
        }
        Ok(None)
    }

    fn step(&mut self, n: u64) -> Result<(), Undecided> {
        self.steps += n;
        self.total += n;
        if self.steps > self.step_limit {
            return Err(Undecided(format!(
                "the search took more than {} steps",
                self.step_limit
            )));
        }
        if self.total > self.total_limit {
            return Err(Undecided(format!(
                "the question's searches took more than {} steps",
                self.total_limit
            )));
        }
        Ok(())
    }

    fn alternatives(&self, cube: &Cube, goal: &F) -> Alternatives {
        let sp = self.space;
        match goal {
            F::NotMatch(s) => {
                if cube.matched.contains(s) {
                    return Alternatives::List(Vec::new());
                }
                if sp.disjoint(cube, *s) {
                    return Alternatives::Satisfied;
                }
                Alternatives::List(
                    sp.not_match_alternatives(*s)
                        .into_iter()
                        .filter(|l| sp.meets(cube, l))
                        .map(F::Lit)
                        .collect(),
                )
            }
            F::Or(v) => {
                let mut out = Vec::new();
                for f in v.iter() {
                    match self.quick(cube, f) {
                        Quick::True => return Alternatives::Satisfied,
                        Quick::False => {}
                        Quick::Unknown => out.push(f.clone()),
                    }
                }
                Alternatives::List(out)
            }
            other => Alternatives::List(vec![other.clone()]),
        }
    }

    /// A cheap look at a formula within a cube.
    fn quick(&self, cube: &Cube, f: &F) -> Quick {
        let sp = self.space;
        match f {
            F::True => Quick::True,
            F::False => Quick::False,
            F::Lit(l) => {
                if !sp.meets(cube, l) {
                    Quick::False
                } else {
                    match l {
                        Lit::Action(b) if cube.action.is_subset(b) => Quick::True,
                        Lit::Resource(b) if cube.resource.is_subset(b) => Quick::True,
                        _ => Quick::Unknown,
                    }
                }
            }
            F::Match(s) => {
                if cube.matched.contains(s) {
                    Quick::True
                } else if sp.disjoint(cube, *s) {
                    Quick::False
                } else {
                    Quick::Unknown
                }
            }
            F::NotMatch(s) => {
                if cube.matched.contains(s) {
                    Quick::False
                } else if sp.disjoint(cube, *s) {
                    Quick::True
                } else if sp
                    .not_match_alternatives(*s)
                    .iter()
                    .all(|l| !sp.meets(cube, l))
                {
                    Quick::False
                } else {
                    Quick::Unknown
                }
            }
            // Formulas are built by the analysis (`Space::allowed` and the
            // questions), a few levels deep whatever the input: the
            // recursion is bounded by the code, not by a document.
            F::And(v) => {
                let mut all_true = true;
                for g in v {
                    match self.quick(cube, g) {
                        Quick::False => return Quick::False,
                        Quick::True => {}
                        Quick::Unknown => all_true = false,
                    }
                }
                if all_true {
                    Quick::True
                } else {
                    Quick::Unknown
                }
            }
            F::Or(_) => Quick::Unknown,
        }
    }

    /// Propagates a node's goals until only choices are left.
    fn expand(&mut self, mut cube: Cube, goals: Vec<F>) -> Result<Expanded, Undecided> {
        let sp = self.space;
        let mut pending = goals;
        let mut branches: Vec<F> = Vec::new();
        loop {
            while let Some(g) = pending.pop() {
                self.step(1)?;
                match g {
                    F::True => {}
                    F::False => return Ok(Expanded::Empty),
                    F::Lit(l) => {
                        if !sp.apply(&mut cube, &l) {
                            return Ok(Expanded::Empty);
                        }
                    }
                    F::And(v) => pending.extend(v),
                    F::Match(s) => {
                        if !cube.matched.contains(&s) {
                            cube.matched.push(s);
                            pending.extend(sp.match_goals(s));
                        }
                    }
                    g @ (F::NotMatch(_) | F::Or(_)) => branches.push(g),
                }
            }
            self.step(branches.len() as u64)?;
            let mut changed = false;
            let mut keep = Vec::with_capacity(branches.len());
            for b in branches.drain(..) {
                match self.alternatives(&cube, &b) {
                    Alternatives::Satisfied => {}
                    Alternatives::List(mut v) => match v.len() {
                        0 => return Ok(Expanded::Empty),
                        1 => {
                            pending.extend(v.pop());
                            changed = true;
                        }
                        n => keep.push((b, n)),
                    },
                }
            }
            branches = keep.iter().map(|(b, _)| b.clone()).collect();
            if !changed {
                // Branch on the goal with the fewest ways out.
                let Some((i, _)) = keep.iter().enumerate().min_by_key(|(_, (_, n))| *n) else {
                    return Ok(Expanded::Found(cube));
                };
                let chosen = branches.swap_remove(i);
                let Alternatives::List(alts) = self.alternatives(&cube, &chosen) else {
                    // Cannot happen (it had two alternatives above); the
                    // other goals decide.
                    return Ok(Expanded::Branch(cube, branches, vec![F::True]));
                };
                return Ok(Expanded::Branch(cube, branches, alts));
            }
        }
    }
}

enum Quick {
    True,
    False,
    Unknown,
}

fn collect_tests(cond: &Condition, out: &mut Vec<(String, Test)>) {
    for clause in &cond.clauses {
        for entry in &clause.entries {
            out.push((
                entry.key.clone(),
                Test {
                    operator: clause.operator.operator,
                    values: entry.values.clone(),
                    raw: entry.raw_values.clone(),
                },
            ));
        }
    }
}
