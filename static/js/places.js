// Patient form, only when a Google Maps API key is configured: suggest addresses as the clinician
// types (Google Places Autocomplete) and put the chosen place's address into "Address" and its ID
// into "Google Place ID".
(function () {
  var search = document.getElementById("address-search");
  var field = document.getElementById("address");
  var label = document.getElementById("address_label");
  var status = document.getElementById("address-search-status");
  if (!search || !field || !label || !search.dataset.mapsKey) {
    return;
  }

  // Enter picks a suggestion; it must not submit the half-filled form.
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
    }
  });

  window.healthpalPlacesReady = function () {
    var autocomplete = new google.maps.places.Autocomplete(search, {fields: ["place_id", "formatted_address"]});
    autocomplete.addListener("place_changed", function () {
      var place = autocomplete.getPlace();
      if (place && place.place_id) {
        field.value = place.place_id;
        label.value = place.formatted_address || search.value;
        status.textContent = "Address and Place ID filled in for " + label.value + ".";
      } else {
        status.textContent = "Pick one of the suggestions to fill in its address and Place ID.";
      }
    });
  };

  var script = document.createElement("script");
  script.src = "https://maps.googleapis.com/maps/api/js?key=" + encodeURIComponent(search.dataset.mapsKey) +
    "&libraries=places&loading=async&callback=healthpalPlacesReady";
  script.async = true;
  script.onerror = function () {
    status.textContent = "Address suggestions are unavailable right now; paste the Place ID instead.";
  };
  document.head.appendChild(script);
})();
