mod about;
mod accounts;
mod forbidden;
mod home;
mod not_found;

pub use about::AboutPage;
pub use accounts::{LoginPage, ProfilePage, SetupPage, SignupPage};
pub use forbidden::{Forbidden, Protected};
pub use home::HomePage;
pub use not_found::NotFound;
