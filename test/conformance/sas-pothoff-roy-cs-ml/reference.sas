/* The TYPE=CS, METHOD=ML fit of SAS/STAT documentation sample program MIXEX2 (Example "Repeated Measures",
   Pothoff-Roy growth data; github.com/sassoftware/doc-supplement-statug Examples/m-n/mixex2.sas; Example 78.2
   in the 14.2 User's Guide, 79.2 in 14.3). The values in case.json are those printed for this fit.
   data pr: Person Gender $ y1-y4 expanded to long form with Age = 8,10,12,14 -> data.csv */
proc mixed data=pr method=ml covtest;
   class Person Gender;
   model y = Gender Age Gender*Age / s;
   repeated / type=cs subject=Person r;
run;
